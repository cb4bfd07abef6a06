"""``b1mg-maturity serve``: warm up once, then serve the app with Streamlit in the same process."""

from __future__ import annotations

import typer

from b1mg_maturity import i18n
from b1mg_maturity.cli.output import EXIT_FAILED, err, run_safely, say
from b1mg_maturity.i18n import _

app = typer.Typer()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def serve(ctx: typer.Context) -> None:
    """Serve the web app: open and migrate the database and load the sign-in page once, then start Streamlit.

    Any option of streamlit run may follow, for example: --server.port 8501 --server.headless true
    """
    from b1mg_maturity import startup
    from b1mg_maturity.session_tokens import SigningKeyProblem

    try:
        warmed = run_safely(startup.warm_up)
    except SigningKeyProblem as problem:
        say(err, _("The app is not configured to run: {problem}", problem=problem))
        raise typer.Exit(EXIT_FAILED) from None
    steps = ", ".join(f"{step.name} {i18n.number(step.seconds, 2)} s" for step in warmed)
    say(err, _("Warmed up before serving: {steps}.", steps=steps))
    startup.run_streamlit(ctx.args)
