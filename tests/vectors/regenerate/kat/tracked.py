"""JSON documents that remember which values the generator looked at.

A carried value the generator reads is an *input*: it feeds a recomputed value or an assertion,
so changing it in the committed file makes the check fail. A carried value it never reads is
*unused*: nothing here checks it (free text, the Android and iOS results, ...). Reads are counted
when a value is fetched by key or index, or when its container's items/values are iterated;
list concatenation or `==` on a whole container do not count, so the split can only err towards
calling a value unused.
"""

import json


class TrackedDict(dict):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = set()
        self.read_all = False

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        if key in self:
            self.read.add(key)
        return super().get(key, default)

    def items(self):
        self.read_all = True
        return super().items()

    def values(self):
        self.read_all = True
        return super().values()

    def was_read(self, key):
        return self.read_all or key in self.read


class TrackedList(list):
    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()
        self.read_all = False

    def __getitem__(self, index):
        if isinstance(index, slice):
            self.read.update(range(len(self))[index])
        else:
            self.read.add(index % len(self) if index < 0 else index)
        return super().__getitem__(index)

    def __iter__(self):
        self.read_all = True
        return super().__iter__()

    def was_read(self, index):
        return self.read_all or index in self.read


def _track(value):
    if isinstance(value, dict):
        return TrackedDict((k, _track(v)) for k, v in dict.items(value))
    if isinstance(value, list):
        return TrackedList(_track(v) for v in list.__iter__(value))
    return value


def load(path):
    with open(path, encoding="utf-8") as fh:
        return _track(json.load(fh))


def raw_items(node):
    """(key, value) pairs of a dict or list without marking anything as read."""
    if isinstance(node, dict):
        return list(dict.items(node))
    return [(i, list.__getitem__(node, i)) for i in range(list.__len__(node))]


def was_read(container, key):
    return isinstance(container, (TrackedDict, TrackedList)) and container.was_read(key)
