"""The password policy (issue 8 §5) and generated temporary passwords; used wherever a password is set."""
from __future__ import annotations

import secrets

from eventsvc.core.exceptions import OperationError

MIN_LENGTH = 10

# Passwords people actually choose that pass the length rule: the first guesses of any attacker.
# Short on purpose (a big list belongs to a breach corpus service); compared case-insensitively.
COMMON_PASSWORDS = frozenset({
    "1234567890", "12345678910", "0123456789", "0987654321", "1111111111", "0000000000", "1234512345",
    "1q2w3e4r5t", "1qaz2wsx3edc", "qwertyuiop", "asdfghjkl;", "zxcvbnm123", "qwerty1234", "qwerty12345",
    "a123456789", "aa12345678", "abc1234567", "abcd123456", "abcdefghij", "a1b2c3d4e5", "iloveyou123",
    "password12", "password123", "password1234", "password!1", "passw0rd123", "p@ssw0rd123", "p@ssword123",
    "admin12345", "admin123456", "administrator", "adminadmin", "root123456", "welcome123", "welcome1234",
    "letmein123", "changeme123", "test123456", "testtest12", "1234qwerasdf", "woaini1314", "woaini520",
    "5201314520", "1314520520", "aini1314520", "88888888888", "6666666666", "123456789a", "123456789q",
    "123456789abc", "123qweasdzxc", "qweasdzxc123", "zaq12wsxcde3", "1234567890a", "11223344556",
    "demo123456", "gonghui123", "gonghui2026", "lggh123456", "longgang123", "shenzhen123", "huawei123456",
})

POLICY_HINT = f"至少 {MIN_LENGTH} 位，不能是用户名或常见密码"
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I to misread


class PasswordPolicyError(OperationError):
    """The password breaks the policy; the message says which rule."""


def password_problem(password: str, *, username: str = "") -> str | None:
    """Return why the password may not be used (Chinese, for the form), or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位"
    lowered = password.lower()
    name = username.strip().lower()
    if name and (lowered == name or (len(name) >= 4 and name in lowered)):
        return "密码不能与用户名相同或包含用户名"
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return "密码过于常见，容易被猜中，请换一个"
    return None


def check_password_policy(password: str, *, username: str = "", field: str = "password") -> None:
    """Raise PasswordPolicyError (naming the form field) unless the password satisfies the policy."""
    problem = password_problem(password, username=username)
    if problem is not None:
        raise PasswordPolicyError(problem, code="weak_password", field=field)


def generate_temporary_password(length: int = 12) -> str:
    """Return a random password to hand out once (easy to read aloud: no look-alike characters)."""
    while True:
        candidate = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(length))
        # Digits and letters both, so it reads as a password and never trips a future policy on classes.
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate
