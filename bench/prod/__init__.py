"""The production benchmark (``python -m bench.prod``, the last step of ``make test-prod``): the
production profile on loopback under load, growth and faults, beside the speed benchmark's
default and bare-Rasa profiles."""

from bench.common.progress import Log

# Every line the production benchmark prints, whichever module prints it.
log = Log("test-prod")
# nginx's public chat endpoint: the production profile is driven there, as residents reach it.
CHAT_PATH = "/api/chat"
