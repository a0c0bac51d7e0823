"""The knowledge base: content files → validated records → SQL database → typed queries."""
