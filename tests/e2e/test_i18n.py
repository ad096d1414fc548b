"""The bot's own words follow the user's language; the model's do not change."""

from __future__ import annotations

from tests.e2e.conftest import BotHarness
from tests.support import updates
from tests.support.processes import wait_until

RU_USER = 3003
EN_USER = 3004


def test_russian_and_english_speakers_get_their_language(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(RU_USER, "/start", language_code="ru"))
    bot.telegram.inject(updates.private_text(EN_USER, "/start", language_code="en"))
    (russian,) = bot.telegram.wait_for_messages(RU_USER, 1)
    (english,) = bot.telegram.wait_for_messages(EN_USER, 1)
    assert "Привет" in russian and "Что я умею" in russian
    assert "Hi" in english and "What I can do" in english

    bot.telegram.inject(updates.private_text(RU_USER, "/new", language_code="ru"))
    assert "новый разговор" in bot.telegram.wait_for_messages(RU_USER, 2)[1]


def test_language_is_switched_with_buttons_and_remembered(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(EN_USER, "/language"))
    bot.telegram.wait_for_messages(EN_USER, 1)
    (keyboard_message,) = bot.telegram.calls("sendMessage", EN_USER)
    buttons = [
        button
        for row in keyboard_message["params"]["reply_markup"]["inline_keyboard"]
        for button in row
    ]
    russian = next(b for b in buttons if b["text"].endswith("Русский"))
    bot.telegram.inject(
        updates.callback_query(EN_USER, russian["callback_data"], keyboard_message["result"])
    )
    wait_until(lambda: bot.telegram.calls("editMessageText", EN_USER), what="the confirmation")
    assert "по-русски" in bot.telegram.calls("editMessageText", EN_USER)[0]["params"]["text"]
    assert bot.telegram.calls("answerCallbackQuery")

    bot.restart()
    bot.telegram.inject(updates.private_text(EN_USER, "/help"))
    assert "Команды" in bot.telegram.wait_for_messages(EN_USER, 2)[1]


def test_forged_language_button_changes_nothing(bot: BotHarness) -> None:
    bot.start()
    bot.telegram.inject(updates.private_text(EN_USER, "/language"))
    bot.telegram.wait_for_messages(EN_USER, 1)
    (keyboard_message,) = bot.telegram.calls("sendMessage", EN_USER)
    bot.telegram.inject(updates.callback_query(EN_USER, "lang:xx", keyboard_message["result"]))
    wait_until(lambda: bot.telegram.calls("answerCallbackQuery"), what="the callback answer")
    assert bot.telegram.calls("editMessageText", EN_USER) == []
    bot.telegram.inject(updates.private_text(EN_USER, "/help"))
    assert "Commands" in bot.telegram.wait_for_messages(EN_USER, 2)[1]


def test_command_menu_is_registered_in_both_languages(bot: BotHarness) -> None:
    bot.start()
    calls = wait_until(
        lambda: (
            len(bot.telegram.calls("setMyCommands")) >= 2 and bot.telegram.calls("setMyCommands")
        )
    )
    by_language = {c["params"].get("language_code"): c["params"]["commands"] for c in calls}
    assert set(by_language) == {None, "ru"}
    # Set once the first poll is out: no update waits for the menus, so they never delay it.
    methods = [entry["method"].lower() for entry in bot.telegram.log()]
    assert methods.index("getupdates") < methods.index("setmycommands")
    descriptions = {c["command"]: c["description"] for c in by_language["ru"]}
    assert descriptions["new"] == "Начать новый разговор"
