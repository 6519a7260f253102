from django.core.management.base import BaseCommand

from bazaar.i18n import LANGUAGES, compile_catalogue


class Command(BaseCommand):
    help = "Compile the project's translation catalogues (.po -> .mo) with Babel (no GNU gettext)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-stale", action="store_true", help="only when the .mo is older than its .po"
        )

    def handle(self, *args, **options) -> None:
        for language in LANGUAGES:
            path = compile_catalogue(language, only_if_stale=options["if_stale"])
            if options["verbosity"] > 1:
                self.stdout.write(str(path))
