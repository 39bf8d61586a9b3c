"""The secrets engine: provider tokens, private keys and credentials in the tree and in every blob of history.

Rules are data (`rules/*.toml`), matched by one Hyperscan database and confirmed with Python `re`.
No finding, log line or cache entry ever holds a full secret: only a short prefix and its SHA-256.
"""
