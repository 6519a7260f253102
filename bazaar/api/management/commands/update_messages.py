from django.core.management.base import BaseCommand

from bazaar.i18n import LANGUAGES, catalogue_problems, po_path, update_catalogue


class Command(BaseCommand):
    help = (
        "Add the code's new translatable strings to each .po (Babel's extractor with Django's "
        "gettext keywords) and list what is left to translate."
    )

    def handle(self, *args, **options) -> None:
        for language in LANGUAGES:
            update_catalogue(language)
            problems = catalogue_problems(language)
            self.stdout.write(f"{po_path(language)}: {len(problems)} to fix")
            for problem in problems:
                self.stdout.write(f"  {problem}")
