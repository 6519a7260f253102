import os

from bazaar.garbage import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bazaar.settings")

application = get_wsgi_application()
