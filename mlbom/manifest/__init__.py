"""File manifests: the file-level evidence of a large model or dataset, kept beside the BOM.

Above ``--max-file-components`` files (default 1,000) a model or dataset component lists no
``file`` component per file; it carries the SHA-256 of its files (:func:`mlbom.hashing.tree_digest`,
the same digest as without a manifest) and references a manifest file — the sorted list of
(relative path, size, SHA-256) as JSON Lines, optionally gzip-compressed — with that file's own
SHA-256. ``verify --artifacts`` re-hashes the folder against it, ``diff`` compares two of them.
docs/manifests.md gives the format and why it is not the OpenSSF model-signing manifest.

- :mod:`mlbom.manifest.format`: the line format, reading (bounded, checked) and writing.
- :mod:`mlbom.manifest.cache`: the SQLite hash cache (a convenience, never evidence).
- :mod:`mlbom.manifest.build`: streaming walk → hash → write, whole or one shard.
- :mod:`mlbom.manifest.merge`: shards into the one-machine manifest, byte for byte.
- :mod:`mlbom.manifest.compare`: two manifests, or a manifest and a folder.
- :mod:`mlbom.manifest.distributed`: the shards on a Dask cluster.
"""
