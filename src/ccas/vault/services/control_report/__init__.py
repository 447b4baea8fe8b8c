"""@control-report on a mandate or a vault (per organisation): actions of agents, checked."""
