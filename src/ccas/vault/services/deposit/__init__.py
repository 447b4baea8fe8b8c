"""@deposit on a private or shared space: deposit a paper (JSON with base64, or multipart)."""
