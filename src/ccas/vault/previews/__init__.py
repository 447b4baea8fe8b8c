"""Watermarked previews of papers, computed once per process (decision 0053)."""
