/*
 * language.c
 *		Language tags for prio.language and prio.labels.lang: the subset of
 *		BCP 47 (RFC 5646) that names a language, its script, region and
 *		variants -- en, zh-CN, zh-Hans-CN, de-CH-1996 -- in its canonical
 *		case, and the lookup chain of RFC 4647 (zh-Hans-CN, zh-Hans, zh).
 *
 * The same grammar is the CHECK of prio.labels.lang, as a regular
 * expression over the canonical form (sql/install/89_labels.sql):
 *   ^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$
 * at most PRIO_LANGUAGE_TAG_MAX characters.
 */
#include "prio.h"

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static char
upper(char c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/* every one of the n characters at s is a letter (digits: also a digit) */
static bool
all_of(const char *s, int n, bool digits)
{
	for (int i = 0; i < n; i++)
		if (!is_alpha(s[i]) && !(digits && is_digit(s[i])))
			return false;
	return true;
}

/*
 * Put tag in its canonical case in place (language lower case, script in
 * title case, region upper case, variants lower case) and return true; or
 * return false, tag untouched, when it is not such a tag.  The canonical
 * form has the same length, so a GUC check hook may rewrite its value here.
 */
bool
prio_language_tag(char *tag)
{
	/* what may come next: 0 script, 1 region, 2 variants only */
	int			next = 0;
	int			len = strlen(tag);
	int			pos = 0;
	char		out[PRIO_LANGUAGE_TAG_MAX + 1];

	if (len == 0 || len > PRIO_LANGUAGE_TAG_MAX)
		return false;
	memcpy(out, tag, len + 1);

	for (int start = 0; start <= len; start = pos + 1)
	{
		int			n;

		pos = start;
		while (pos < len && out[pos] != '-')
			pos++;
		n = pos - start;
		if (start == 0)
		{
			/* the language: 2 or 3 letters */
			if (n < 2 || n > 3 || !all_of(out, n, false))
				return false;
			for (int i = 0; i < n; i++)
				out[i] = lower(out[i]);
		}
		else if (next == 0 && n == 4 && all_of(out + start, 4, false))
		{
			/* a script: title case */
			out[start] = upper(out[start]);
			for (int i = 1; i < 4; i++)
				out[start + i] = lower(out[start + i]);
			next = 1;
		}
		else if (next <= 1 && n == 2 && all_of(out + start, 2, false))
		{
			/* a region of two letters: upper case */
			out[start] = upper(out[start]);
			out[start + 1] = upper(out[start + 1]);
			next = 2;
		}
		else if (next <= 1 && n == 3 && is_digit(out[start]) && is_digit(out[start + 1]) &&
				 is_digit(out[start + 2]))
		{
			/* a region of three digits (419: Latin America) */
			next = 2;
		}
		else if ((n >= 5 && n <= 8 && all_of(out + start, n, true)) ||
				 (n == 4 && is_digit(out[start]) && all_of(out + start, 4, true)))
		{
			/* a variant: lower case */
			for (int i = 0; i < n; i++)
				out[start + i] = lower(out[start + i]);
			next = 2;
		}
		else
			return false;
	}
	memcpy(tag, out, len + 1);
	return true;
}

/*
 * The next tag of the lookup chain (RFC 4647, 3.4): the last subtag
 * removed, in place.  False when tag has a single subtag left.
 */
bool
prio_language_parent(char *tag)
{
	char	   *dash = strrchr(tag, '-');

	if (dash == NULL)
		return false;
	*dash = '\0';
	return true;
}

/*
 * The script of tag, written to script (5 bytes): its script subtag, or for
 * Chinese without one the script its region implies (CLDR's likely
 * subtags: zh-TW, zh-HK and zh-MO are written in Traditional characters,
 * Hant; zh, zh-CN, zh-SG in Simplified, Hans).  False when neither: a
 * language other than Chinese that names no script.  Tag is canonical.
 */
bool
prio_language_script(const char *tag, char *script)
{
	const char *dash = strchr(tag, '-');
	const char *next;
	int			n;

	script[0] = '\0';
	if (dash != NULL)
	{
		next = strchr(dash + 1, '-');
		n = next ? next - dash - 1 : strlen(dash + 1);
		if (n == 4 && is_alpha(dash[1]))
		{
			memcpy(script, dash + 1, 4);
			script[4] = '\0';
			return true;
		}
	}
	if (dash ? dash - tag != 2 || strncmp(tag, "zh", 2) != 0 : strcmp(tag, "zh") != 0)
		return false;
	/* a region first (the check above found no script) */
	if (dash != NULL && (strncmp(dash + 1, "TW", 2) == 0 || strncmp(dash + 1, "HK", 2) == 0 ||
						 strncmp(dash + 1, "MO", 2) == 0) &&
		(dash[3] == '\0' || dash[3] == '-'))
		strcpy(script, "Hant");
	else
		strcpy(script, "Hans");
	return true;
}
