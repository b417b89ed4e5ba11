// DOM helpers of the dashboard: look elements up, build them with text nodes only (keys and values
// are user data and may hold markup, so nothing goes through innerHTML). No state, no API access.

export const $ = (id) => document.getElementById(id);

/** Creates an element; children are nodes or strings (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export function badge(status) {
  return el('span', { class: `badge ${status}`, text: status });
}
