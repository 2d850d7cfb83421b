"""Builders shared by the test modules (tests never import each other): hand-built EVENTS rows
(`events`), extracted PR rows and blobs (`curate_rows`), real git repositories (`git`, `extract_world`)
and reading output tables back (`tables`)."""
