"""Structured logs (JSON) and EMF metrics, with Powertools."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "cognito-email-sender"
NAMESPACE = "CognitoEmailSender"


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is now, so redirected output is captured whole."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


logger = Logger(service=SERVICE, logger_handler=_StdoutHandler())


def count(name: str, *, function: str, **dimensions: str) -> None:
    """Emit one EMF count metric right away, so it is flushed even when the handler raises;
    ``function`` (the function's name) is a dimension of every metric."""
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
        metric.add_dimension(name="function", value=function)
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)
