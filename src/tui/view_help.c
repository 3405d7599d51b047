/*
 * view_help.c - every key and command, written from the tables that
 * define them (views, the frame's actions, each view's actions, the
 * command layer's list), so the help cannot drift from what the keys do.
 */
#include "tui/tui.h"
#include "tui/keys.h"
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

#define KEYW 16

static void heading(struct buf *b, const char *title)
{
	buf_printf(b, "\n%s\n", title);
}

static void actions_section(struct buf *b, const struct tui_action *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "  %-*s %s\n", KEYW, a[i].label, a[i].help);
}

static void views_section(struct buf *b)
{
	heading(b, "VIEWS (press the key, or type :NAME)");
	for (size_t i = 0; i < tui_nviews; i++) {
		char key[16];
		tui_key_name(tui_views[i]->key, key);
		buf_printf(b, "  %-3s %-12s %s\n", key, tui_views[i]->name,
			   tui_views[i]->summary);
	}
}

static void view_actions_section(struct buf *b, bool read_only)
{
	heading(b, "ACTIONS IN VIEWS (on the selected row; * changes things)");
	for (size_t i = 0; i < tui_nviews; i++) {
		const struct tui_view_ops *ops = tui_views[i];
		for (size_t j = 0; j < ops->nactions; j++) {
			const struct tui_action *a = &ops->actions[j];
			buf_printf(b, "  %-10s %-5s %s%s%s\n", ops->name, a->label,
				   a->mutates ? "* " : "  ", a->help,
				   a->confirm ? " (asks first)" : "");
		}
	}
	buf_printf(b, "  Actions marked * are refused in READ-ONLY mode%s.\n",
		   read_only ? ", which this console is in" : "");
	buf_puts(b, "  Asking first means a dialog whose focus starts on Cancel: Enter\n"
		    "  or Esc does nothing; Tab or Left/Right then Enter, or y, confirms.\n");
}

static const char *const prompt_keys[][2] = {
	{ ":help", "this help" },
	{ ":quit  :q", "quit" },
	{ ":NAME [KEY]", "switch to a view, and select KEY in it" },
	{ ":save-screen", "FILE: write the screen to FILE as text, as tmux shows it" },
	{ ":env NAME", "switch to another environment of the project" },
	{ ":project DIR", "[ENV]: switch to the project in DIR" },
	{ "Enter", "run the line" },
	{ "Esc", "cancel (so does Backspace on an empty line)" },
	{ "Tab", "complete command and object names" },
	{ "Up Down", "earlier lines, kept across sessions" },
	{ "^A ^E ^K ^U ^W", "readline editing (M-b M-f, ^R search ...)" },
};

static void prompt_section(struct buf *b, const struct tui *t)
{
	heading(b, "THE COMMAND PROMPT (:)");
	for (size_t i = 0; i < ARRAY_LEN(prompt_keys); i++)
		buf_printf(b, "  %-*s %s\n", KEYW, prompt_keys[i][0], prompt_keys[i][1]);
	if (t->history_path)
		buf_printf(b, "  History file: %s\n", t->history_path);
	else
		buf_puts(b, "  History is not saved: neither XDG_STATE_HOME nor HOME "
			    "is set.\n");
}

static void commands_section(struct buf *b, const struct tui_config *cfg)
{
	heading(b, "COMMANDS");
	if (!cfg->commands_help) {
		buf_puts(b, "  No command layer is connected to this console: at the prompt\n"
			    "  only help, quit and the view names work.\n");
		return;
	}
	const char *p = cfg->commands_help;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_printf(b, "  %.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

static void help_open(struct tui_view *v)
{
	tui_page_open(v);
	const struct tui *t = v->tui;
	struct buf b = BUF_INIT;
	buf_puts(&b, "sluice console: keys and commands.  q or Esc closes this page.\n");
	views_section(&b);
	heading(&b, "MOVING AROUND");
	actions_section(&b, tui_nav_actions, tui_nnav_actions);
	heading(&b, "EVERYWHERE");
	actions_section(&b, tui_global_actions, tui_nglobal_actions);
	view_actions_section(&b, t->cfg->read_only);
	prompt_section(&b, t);
	commands_section(&b, t->cfg);
	tui_pager_set_text(tui_page_pager(v), buf_str(&b));
	buf_free(&b);
}

const struct tui_view_ops view_help_ops = {
	.name = "help",
	.title = "Help",
	.key = '?',
	.in_tabs = false,
	.summary = "keys and commands (this page)",
	.open = help_open,
	.draw = tui_page_draw,
	.handle_key = tui_page_key,
	.filter = tui_page_filter,
	.where = tui_page_where,
	.close = tui_page_close,
};
