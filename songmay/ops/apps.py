from django.apps import AppConfig


class Config(AppConfig):
    name = "songmay.ops"
    verbose_name = "Vận hành (sao lưu, khôi phục, nhật ký, sẵn sàng)"
