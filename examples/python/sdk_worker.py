#!/usr/bin/env python3
"""A Spool worker on the Python SDK: shouts a text back, word by word, with progress and a log line.

    PYTHONPATH=sdk/python/src SPOOL_API_KEY=<worker key> python3 examples/python/sdk_worker.py
"""
import time

import spool

worker = spool.Worker(concurrency=4)  # SPOOL_URL and SPOOL_API_KEY from the environment


@worker.handler("shout")
def shout(job):
    words = job.input.get("text", "").split()
    if not words:
        raise spool.Failure("empty_text", "input.text is empty", retryable=False)
    job.log("shouting %d words" % len(words))
    shouted = []
    for i, word in enumerate(words):
        job.check()  # stops here when the client cancels the job
        shouted.append(word.upper())
        job.progress((i + 1) / len(words), "word %d of %d" % (i + 1, len(words)))
        time.sleep(job.input.get("delay", 0))
    return {"text": " ".join(shouted), "words": len(words)}


if __name__ == "__main__":
    worker.run()  # until SIGTERM or Ctrl-C; running jobs finish, or are released
