"""The vectors' JSON view of a protobuf message ("decoded" / "fields") and back.

The view lists the fields that are on the wire, in field-number order: proto field names, bytes
as lowercase hex, enums by value name, sub-messages as objects (`{}` when present and empty),
repeated fields as arrays. proto3 scalars equal to zero are absent unless they are a set oneof
member, exactly as `ListFields()` reports them.
"""

from google.protobuf.descriptor import FieldDescriptor as FD


def _repeated(field):
    # protobuf >= 6 dropped `label` in favour of `is_repeated`.
    if hasattr(field, "is_repeated"):
        return field.is_repeated
    return field.label == FD.LABEL_REPEATED


def to_json(message):
    out = {}
    for field, value in message.ListFields():
        if _repeated(field):
            out[field.name] = [_value_to_json(field, v) for v in value]
        else:
            out[field.name] = _value_to_json(field, value)
    return out


def _value_to_json(field, value):
    if field.type == FD.TYPE_MESSAGE:
        return to_json(value)
    if field.type == FD.TYPE_BYTES:
        return bytes(value).hex()
    if field.type == FD.TYPE_ENUM:
        return field.enum_type.values_by_number[value].name
    return value


def from_json(message_class, view):
    message = message_class()
    _fill(message, view)
    return message


def _fill(message, view):
    fields = message.DESCRIPTOR.fields_by_name
    for name, value in view.items():
        if name not in fields:
            raise KeyError(f"{message.DESCRIPTOR.name} has no field `{name}`")
        field = fields[name]
        if _repeated(field):
            target = getattr(message, name)
            for item in value:
                if field.type == FD.TYPE_MESSAGE:
                    _fill(target.add(), item)
                else:
                    target.append(_scalar_from_json(field, item))
        elif field.type == FD.TYPE_MESSAGE:
            sub = getattr(message, name)
            sub.SetInParent()
            _fill(sub, value)
        else:
            setattr(message, name, _scalar_from_json(field, value))


def _scalar_from_json(field, value):
    if field.type == FD.TYPE_BYTES:
        return bytes.fromhex(value)
    if field.type == FD.TYPE_ENUM:
        return field.enum_type.values_by_name[value].number
    return value


def encode(message_class, view):
    return from_json(message_class, view).SerializeToString()


def decode(message_class, data):
    message = message_class()
    message.ParseFromString(data)
    return to_json(message)
