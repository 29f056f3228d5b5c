// Text from others may hold Unicode direction controls. An override
// (U+202E RIGHT-TO-LEFT OVERRIDE) shows "invoice\u202Egpj.exe" as
// "invoiceexe.jpg": a program passing for a photo. Names and messages are
// therefore shown isolated (<bdi>, dir="auto"), so nothing in them can move
// the text around them, and the controls that reorder what follows are
// shown as a visible mark where they could mislead.

/** Every direction control: marks, embeddings, overrides and isolates. */
const DIRECTION_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** The controls that reorder even left-to-right letters: the overrides. */
const OVERRIDES = /[\u202D\u202E]/g;

/** What a hidden control is shown as: visible, and plainly not a letter. */
export const CONTROL_MARK = '\uFFFD';

/**
 * A file name as it must be read: in the order it is stored, every
 * direction control shown as CONTROL_MARK. Written names never need one.
 */
export function visibleFileName(name: string): string {
  return name.replace(DIRECTION_CONTROLS, CONTROL_MARK);
}

/**
 * A file name split for display: its extension (from the last dot, as the
 * system reads it) apart from the rest, so the extension is what ends the
 * name on screen whatever the rest holds.
 */
export function fileNameParts(name: string): { base: string; ext: string } {
  const shown = visibleFileName(name);
  const dot = shown.lastIndexOf('.');
  if (dot <= 0 || dot === shown.length - 1) return { base: shown, ext: '' };
  return { base: shown.slice(0, dot), ext: shown.slice(dot) };
}

/**
 * Message text with its overrides made visible; everything else, right-to-
 * left writing included, is kept (the message is shown isolated).
 */
export function visibleOverrides(text: string): string {
  return text.replace(OVERRIDES, CONTROL_MARK);
}
