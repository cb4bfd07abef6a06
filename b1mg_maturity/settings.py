"""Settings from environment variables (prefix ``B1MG_``), read through pydantic-settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = PROJECT_ROOT / "var" / "b1mg-maturity.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="B1MG_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE}",
        description="SQLAlchemy URL; a SQLite file by default, postgresql+psycopg://... to share one database",
    )
    min_group_size: int = Field(default=3, ge=1, description="fewest health systems a statistic may describe")
    report_min_coverage: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="share of applicable indicators a round must have answered for its report to give a headline level",
    )
    login_max_failures: int = Field(default=5, ge=1)
    login_pause_seconds: int = Field(default=60, ge=1)
    # argon2id cost; the defaults are the library's (RFC 9106 "low memory" profile).  Tests lower them
    # for speed; verification always uses the parameters stored inside each hash.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    # Session tokens: the signing key from the environment or a secrets file; required in production.
    production: bool = Field(default=False, description="a real installation: refuse to run without a session key")
    session_key: SecretStr | None = Field(default=None, description="key that signs session cookies (32+ chars)")
    session_key_file: Path | None = Field(default=None, description="file holding that key (e.g. a mounted secret)")
    # PDF reports: made in a pool of worker processes, kept in a cache on disk (b1mg_maturity.report.jobs).
    report_workers: int = Field(default=2, ge=1, le=32, description="worker processes that make PDF reports")
    report_cache_dir: Path | None = Field(
        default=None, description="where made PDF reports are kept (default: report-cache beside the SQLite file)"
    )
    # E-mail: notifications go out through this SMTP server when a host is set; without one the app shows
    # each message and its link for the user to copy (b1mg_maturity.notify).
    public_url: str = Field(default="http://localhost:8501", description="the app's address, for links in e-mails")
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: no e-mail is sent")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = Field(default=None)
    smtp_password: SecretStr | None = Field(default=None)
    smtp_starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS")
    smtp_sender: str = Field(default="b1mg-maturity@localhost", description="the From address")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_max_attempts: int = Field(default=5, ge=1, le=100, description="tries per mail before giving up")
    mail_retry_seconds: float = Field(default=300.0, gt=0, description="pause before a failed mail is tried again")
    password_reset_hours: int = Field(default=72, ge=1, le=720, description="how long a one-time reset link works")
    report_cache_mib: int = Field(default=512, ge=1, description="the report cache's size; the oldest used go first")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
