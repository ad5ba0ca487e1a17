"""French by default, English available (``?lang=en``, remembered in the session)."""

from __future__ import annotations

from flask import Flask, request, session

LANGS = ("fr", "en")

STRINGS = {
    "app": ("geoterr", "geoterr"),
    "dashboard": ("Tableau de bord", "Dashboard"),
    "map": ("Carte", "Map"),
    "access": ("Accessibilité", "Accessibility"),
    "poverty": ("Pauvreté", "Poverty"),
    "initiatives": ("Initiatives", "Initiatives"),
    "route": ("Itinéraire accessible", "Accessible route"),
    "demand": ("Mobilité solidaire", "Volunteer drivers"),
    "site": ("Services itinérants", "Itinerant services"),
    "submit": ("Proposer une initiative", "Submit an initiative"),
    "moderation": ("Modération", "Moderation"),
    "api": ("API", "API"),
    "population": ("Population (communes)", "Population (communes)"),
    "grid_population": ("Population carroyée (Filosofi)", "Population on the grid (Filosofi)"),
    "poor_households": ("Ménages pauvres", "Poor households"),
    "services": ("Services", "Services"),
    "changes": ("Fermetures et ouvertures", "Closures and openings"),
    "shares": ("Part de la population à moins de … minutes", "Share of people within … minutes"),
    "no_analysis": ("Analyse pas encore calculée : lancez", "Analysis not computed yet: run"),
    "estimate": ("estimation à vol d'oiseau", "straight-line estimate"),
    "click_cell": ("Cliquez sur la carte pour lire les valeurs d'un carreau de 200 m.",
                   "Click the map to read the values of a 200 m cell."),
    "filter": ("Filtrer", "Filter"),
    "theme": ("Thème", "Theme"),
    "scale": ("Échelle", "Scale"),
    "year": ("Année", "Year"),
    "all": ("Tous", "All"),
    "name": ("Nom", "Name"),
    "commune": ("Commune (nom ou code INSEE)", "Commune (name or INSEE code)"),
    "description": ("Description", "Description"),
    "contact": ("Contact (facultatif)", "Contact (optional)"),
    "send": ("Envoyer", "Send"),
    "thanks": ("Merci ! Votre initiative sera publiée après modération.",
               "Thank you! Your initiative will be published after moderation."),
    "login": ("Connexion", "Log in"),
    "logout": ("Déconnexion", "Log out"),
    "password": ("Mot de passe", "Password"),
    "approve": ("Publier", "Approve"),
    "reject": ("Refuser", "Reject"),
    "edit": ("Modifier", "Edit"),
    "save": ("Enregistrer", "Save"),
    "pending": ("En attente", "Pending"),
    "actors": ("Acteurs", "Actors"),
    "figures": ("Chiffres", "Figures"),
    "summary": ("Résumé", "Summary"),
    "qpv_candidates": ("Quartiers candidats (règle du décret 2014-767)",
                       "Candidate neighbourhoods (décret 2014-767 rule)"),
    "zones": ("Par commune", "By commune"),
    "skip": ("Aller au contenu", "Skip to content"),
    "language": ("English", "Français"),
}


def lang() -> str:
    return session.get("lang", "fr")


def t(key: str) -> str:
    fr, en = STRINGS.get(key, (key, key))
    return en if lang() == "en" else fr


def _pick_language() -> None:
    asked = request.args.get("lang")
    if asked in LANGS:
        session["lang"] = asked


def init_app(app: Flask) -> None:
    app.before_request(_pick_language)
    app.jinja_env.globals.update(t=t, lang=lang)
