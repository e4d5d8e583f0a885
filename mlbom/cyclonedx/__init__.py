"""CycloneDX documents: serialization (JSON and XML) and validation against the bundled schemas."""
