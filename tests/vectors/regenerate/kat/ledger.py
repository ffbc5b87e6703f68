"""Which values of a regenerated file were computed in this run and which were copied.

Every generator starts from a deep copy of the committed file and overwrites, with
`Ledger.put`, each value it can compute. A value never put is *carried*: copied unchanged from
the committed file (free text, inputs, and what cannot be rerun here).

Each file is generated twice: once with esp_prov exactly as the PyPI package ships it, once
inside `kat.client.as_esp_idf()`, which undoes the two differences between that package and the
ESP-IDF copy the vectors were made with. The second run is what gets written. A computed value
is *recomputed* when both runs agree on it, and *adapted* when only the second run produces it
(the PyPI copy on its own computes something else, or nothing).

Counts are per leaf: a string, number, bool, null, or an empty object or array.
"""

import re

from .tracked import raw_items, was_read

RECOMPUTED = "recomputed"
ADAPTED = "adapted"
INPUT = "carried-input"
UNUSED = "carried-unused"
KINDS = (RECOMPUTED, ADAPTED, INPUT, UNUSED)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def path_join(path, key):
    """Path syntax shared with `cargo xtask vectors`: `a.b`, `a["odd key"]`, `a[3]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.match(key):
        return f"{path}.{key}" if path else key
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


class Ledger:
    def __init__(self, doc):
        self.doc = doc
        self._put = set()
        # Containers and replaced values stay referenced, so no id() in `_put` is reused.
        self._alive = []

    def put(self, container, key, value):
        """Overwrite an existing value of the committed file with a computed one."""
        if isinstance(container, dict):
            if key not in container:
                raise KeyError(f"generator writes `{key}`, which the committed file does not have")
        elif isinstance(container, list):
            if not 0 <= key < len(container):
                raise IndexError(f"generator writes index {key} of a {len(container)}-element list")
        else:
            raise TypeError("put() needs a dict or a list")
        current = dict.__getitem__(container, key) if isinstance(container, dict) else list.__getitem__(container, key)
        self._alive.extend((container, current))
        container[key] = value
        self._put.add((id(container), key))

    def put_all(self, container, values):
        for key, value in values.items():
            self.put(container, key, value)

    def leaves(self):
        """{path: (computed?, read?, value)} for every leaf of the document."""
        out = {}

        def walk(node, path, computed):
            for key, value in raw_items(node):
                sub = path_join(path, key)
                sub_computed = computed or (id(node), key) in self._put
                if isinstance(value, (dict, list)) and value:
                    walk(value, sub, sub_computed)
                else:
                    out[sub] = (sub_computed, was_read(node, key), value)

        walk(self.doc, "", False)
        return out


def classify(pypi_run, esp_idf_run):
    """[(path, kind)] in document order of the written (ESP-IDF-adapted) run."""
    plain = pypi_run.leaves()
    out = []
    for path, (computed, read, value) in esp_idf_run.leaves().items():
        if not computed:
            out.append((path, INPUT if read else UNUSED))
            continue
        other = plain.get(path)
        same = other is not None and other[0] and _same(other[2], value)
        out.append((path, RECOMPUTED if same else ADAPTED))
    return out


def _same(a, b):
    # bool is an int in Python; keep true and 1 apart.
    return type(a) is type(b) and a == b
