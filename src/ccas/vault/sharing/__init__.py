"""Sharing by link: expiring links, access codes, watermarked copies, bundles."""
