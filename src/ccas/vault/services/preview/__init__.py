"""@preview on a paper: its watermarked PNG preview (traced)."""
