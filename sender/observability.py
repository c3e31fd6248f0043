"""Structured logs (JSON) and EMF metrics, with Powertools."""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "cognito-email-sender"
NAMESPACE = "CognitoEmailSender"
FUNCTION_VARIABLE = "AWS_LAMBDA_FUNCTION_NAME"


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is now, so redirected output is captured whole."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


logger = Logger(service=SERVICE, logger_handler=_StdoutHandler())


def count(name: str, **dimensions: str) -> None:
    """Emit one EMF count metric right away, so it is flushed even when the handler raises."""
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
        # Lambda sets the name; it keeps two deployments in one account (staging, production)
        # from summing into each other's alarms.
        metric.add_dimension(name="function", value=os.environ.get(FUNCTION_VARIABLE) or "local")
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)
