from django.apps import AppConfig


class Config(AppConfig):
    name = "songmay.accounts"

    def ready(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: PLC0415

        from songmay.accounts.caching import watch  # noqa: PLC0415
        from songmay.accounts.models import User  # noqa: PLC0415
        from songmay.areas.models import Area, School  # noqa: PLC0415

        # What a logged-in request reads of its user: see songmay.accounts.caching.
        watch(User, TOTPDevice, Area, School)
