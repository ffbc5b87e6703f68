"""Regenerates the known-answer vectors in tests/vectors from Espressif's esp_prov client.

`regenerate.py` is the entry point; each `gen_*` module rebuilds one vector file.
"""
