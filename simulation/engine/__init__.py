"""The SimPy engine: arrivals, journeys, operations, the world they run in."""
