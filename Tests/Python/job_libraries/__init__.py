"""Job functions and worker entry points for test_job_libraries.py: real job-queue
libraries (BullMQ, rq, dramatiq, saq) driven end to end against a server."""
