"""The staff wizard "Ouvrir un coffre" (``@@ouvrir-un-coffre``, decision 0018)."""
