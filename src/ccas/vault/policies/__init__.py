"""Workflow policies: the rules records managers switch on and off without the ZMI."""
