"""SMS backends never write a retailer's full mobile number to the logs."""

import inspect
import logging

from campaigns.channels import OutgoingMessage, sms

NUMBER = "13812345678"


def test_no_sms_backend_logs_a_full_number(caplog, settings, tmp_path):
    settings.CAMPAIGNS_SMS_FILE_DIR = tmp_path
    backends = [
        cls
        for _name, cls in inspect.getmembers(sms, inspect.isclass)
        # the HTTP gateway needs a server and logs no message
        if cls.__module__ == sms.__name__ and hasattr(cls, "send") and cls is not sms.HttpGatewayBackend
    ]
    assert {cls.__name__ for cls in backends} >= {"ConsoleBackend", "FileBackend"}
    for backend in backends:
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            results = backend().send([OutgoingMessage(key="7", to=NUMBER, text="【烟草公司】新品到店")])
        assert [r.key for r in results] == ["7"]
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert NUMBER not in logged, backend.__name__
        if backend is sms.ConsoleBackend:
            assert "SMS to 138****5678 [7]" in logged
