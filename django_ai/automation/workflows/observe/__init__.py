"""What operators look at: the run timeline, the workflow graph, the dashboard, retention."""
