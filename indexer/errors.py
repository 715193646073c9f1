"""Typed errors. Each carries a message in Vietnamese for users (`message_vi`)
and an English one (`str(err)`) for logs and the CLI."""
from __future__ import annotations


class KetluanError(Exception):
    message_vi = "Đã xảy ra lỗi."

    def __init__(self, message: str, message_vi: str | None = None):
        super().__init__(message)
        if message_vi:
            self.message_vi = message_vi


class UnreadableFile(KetluanError):
    """A file that cannot be turned into text: binary, empty, too large, malformed."""

    def __init__(self, path: str, reason: str, reason_vi: str | None = None):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}", f"Không đọc được tệp {path}: {reason_vi or reason}")


class UnsupportedFile(UnreadableFile):
    """A file whose type the reader does not handle (skipped, not failed)."""


class BadQuery(KetluanError):
    message_vi = "Câu truy vấn không hợp lệ."


class BadParameter(KetluanError):
    message_vi = "Tham số không hợp lệ."


class NotFound(KetluanError):
    message_vi = "Không tìm thấy."


class IndexBusy(KetluanError):
    message_vi = "Chỉ mục đang được một tiến trình khác ghi; vui lòng thử lại sau."
