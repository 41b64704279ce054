"""Background jobs on a task queue (huey): the ``jobs`` table, the queue, the runner, the jobs page."""
