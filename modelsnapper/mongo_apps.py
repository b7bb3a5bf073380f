"""App configs used in Mongo mode only: contrib and allauth models get ObjectId keys.

Imported only when MONGODB_URI is set (settings.INSTALLED_APPS), so SQLite mode
never imports the MongoDB backend.
"""

from allauth.account.apps import AccountConfig
from allauth.socialaccount.apps import SocialAccountConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig
from django_rq.apps import DjangoRqAdminConfig

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoAccountConfig(AccountConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoSocialAccountConfig(SocialAccountConfig):
    default_auto_field = OBJECT_ID_AUTO_FIELD


class MongoDjangoRQConfig(DjangoRqAdminConfig):
    # Its only model is unmanaged (admin page), but checks still want an ObjectId key.
    default_auto_field = OBJECT_ID_AUTO_FIELD
