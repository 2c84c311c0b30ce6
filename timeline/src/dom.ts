// Builds elements from text only: activity data reaches the page through textContent and
// attributes set as properties, never through markup.

type Child = Node | string | undefined | null | false;

/** An element with these class names and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  for (const child of children) if (child) element.append(child);
  return element;
}
