"""Install, uninstall and demo handlers of the GenericSetup profiles."""
