package main

import "strings"

// shellQuote returns s as one word of a POSIX shell command, for the
// commands that messages suggest. A word of only letters, digits and
// characters that no shell treats specially stays as it is. Any other word,
// and the empty word, is put in single quotes, and a single quote inside
// it ends the quoted part, follows as \' and starts a new quoted part.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
