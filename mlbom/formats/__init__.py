"""Pure parsers, one per file format or spec: bytes in, model out, every read bounded."""
