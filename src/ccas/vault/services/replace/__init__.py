"""@replace on a paper: deposit a newer version; the old one is kept, superseded."""
