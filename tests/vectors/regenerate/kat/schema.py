"""The provisioning protobuf schema as ESP-IDF defines it, read from the repository's proto/.

The PyPI package's `*_pb2` modules are not the schema the vectors were made with: its
wifi_config_pb2 has no `RespGetStatus.attempt_failed` (field 12) and no `WifiAttemptFailed`,
which ESP-IDF's wifi_provisioning (and so the committed vectors) have. The device model encodes
its answers with this schema, and `kat.client.esp_idf_schema()` lets esp_prov's own code parse
with it. The proto files use a small proto3 subset (no package, no options, no maps, no nesting):
this parser handles that subset and refuses anything else.
"""

import os
import re
import types

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

PROTO_FILES = ["constants", "sec0", "sec1", "sec2", "session", "wifi_constants",
               "wifi_config", "wifi_scan", "wifi_ctrl"]

_SCALARS = {
    "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
    "bytes": descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
    "uint32": descriptor_pb2.FieldDescriptorProto.TYPE_UINT32,
    "int32": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
}
_TOKEN = re.compile(r'\s+|//[^\n]*|/\*.*?\*/|("[^"]*"|[A-Za-z_][A-Za-z0-9_.]*|\d+|[{}=;])', re.S)


def _tokens(text):
    pos = 0
    out = []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"unsupported .proto syntax near {text[pos:pos + 30]!r}")
        if m.group(1):
            out.append(m.group(1))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, name, tokens):
        self.toks = tokens
        self.i = 0
        self.file = descriptor_pb2.FileDescriptorProto(name=f"{name}.proto", syntax="proto3")

    def next(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, want):
        tok = self.next()
        if tok != want:
            raise ValueError(f"{self.file.name}: expected {want!r}, found {tok!r}")

    def parse(self):
        while self.i < len(self.toks):
            tok = self.next()
            if tok == "syntax":
                self.expect("=")
                if self.next() != '"proto3"':
                    raise ValueError(f"{self.file.name}: only proto3 is supported")
                self.expect(";")
            elif tok == "import":
                self.file.dependency.append(self.next().strip('"'))
                self.expect(";")
            elif tok == "enum":
                self._enum(self.file.enum_type.add())
            elif tok == "message":
                self._message(self.file.message_type.add())
            else:
                raise ValueError(f"{self.file.name}: unsupported top-level {tok!r}")
        return self.file

    def _enum(self, enum):
        enum.name = self.next()
        self.expect("{")
        while (tok := self.next()) != "}":
            self.expect("=")
            enum.value.add(name=tok, number=int(self.next()))
            self.expect(";")

    def _message(self, msg):
        msg.name = self.next()
        self.expect("{")
        while (tok := self.next()) != "}":
            if tok == "oneof":
                index = len(msg.oneof_decl)
                msg.oneof_decl.add(name=self.next())
                self.expect("{")
                while (inner := self.next()) != "}":
                    self._field(msg, inner, repeated=False, oneof=index)
            elif tok == "repeated":
                self._field(msg, self.next(), repeated=True, oneof=None)
            else:
                self._field(msg, tok, repeated=False, oneof=None)

    def _field(self, msg, type_name, repeated, oneof):
        field = msg.field.add(name=self.next())
        self.expect("=")
        field.number = int(self.next())
        self.expect(";")
        field.json_name = field.name
        field.label = (descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED if repeated
                       else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
        if oneof is not None:
            field.oneof_index = oneof
        if type_name in _SCALARS:
            field.type = _SCALARS[type_name]
        else:
            field.type_name = "." + type_name  # resolved to message or enum below


def _resolve(files):
    enums = {e.name for f in files for e in f.enum_type}
    messages = {m.name for f in files for m in f.message_type}
    for f in files:
        for m in f.message_type:
            for field in m.field:
                if not field.type_name:
                    continue
                name = field.type_name[1:]
                if name in enums:
                    field.type = descriptor_pb2.FieldDescriptorProto.TYPE_ENUM
                elif name in messages:
                    field.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
                else:
                    raise ValueError(f"{f.name}: unknown type {name}")


def load(proto_dir):
    """Parses proto_dir/*.proto; returns {module name like 'wifi_config_pb2': module}."""
    files = []
    for name in PROTO_FILES:
        with open(os.path.join(proto_dir, f"{name}.proto"), encoding="utf-8") as fh:
            files.append(_Parser(name, _tokens(fh.read())).parse())
    _resolve(files)
    pool = descriptor_pool.DescriptorPool()
    for f in files:
        pool.Add(f)
    modules = {}
    for f in files:
        fd = pool.FindFileByName(f.name)
        module = types.ModuleType(f.name.replace(".proto", "_pb2"))
        module.DESCRIPTOR = fd
        for enum in fd.enum_types_by_name.values():
            setattr(module, enum.name, EnumTypeWrapper(enum))
            for value in enum.values:
                setattr(module, value.name, value.number)
        for msg in fd.message_types_by_name.values():
            setattr(module, msg.name, message_factory.GetMessageClass(msg))
        modules[module.__name__] = module
    return modules


_REPO_PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "proto")
_loaded = None


def esp_idf():
    """The schema from the repository's proto/ directory, loaded once."""
    global _loaded
    if _loaded is None:
        _loaded = types.SimpleNamespace(**load(os.path.normpath(_REPO_PROTO_DIR)))
    return _loaded
