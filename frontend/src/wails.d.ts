// What the Wails runtime puts on window that the page reads itself (its
// generated bindings type the rest).
interface Window {
  wails?: { flags?: { enableWailsDragAndDrop?: boolean } };
}
