// Small DOM helpers: no framework, so the overview ships little more than uPlot.

type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function money(value: number): string {
  const digits = Math.abs(value) < 1 && value !== 0 ? 4 : 2;
  return (value < 0 ? "−$" : "$") + Math.abs(value).toFixed(digits);
}

export function percent(share: number): string {
  return (share * 100).toFixed(1) + "%";
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toFixed(1) + " ms";
}

/** A headline figure; data-figure and data-value let tests read the exact number behind the text. */
export function figure(id: string, label: string, text: string, value: number | string): HTMLElement {
  return el("div", { class: "figure" }, el("div", { class: "label" }, label), el("div", { class: "value", "data-figure": id, "data-value": value }, text));
}

export interface Column<T> {
  title: string;
  cell: (row: T) => Child;
  key?: string;
  numeric?: boolean;
}

export function table<T>(id: string, columns: Column<T>[], rows: T[], rowKey?: (row: T) => string): HTMLTableElement {
  return el(
    "table",
    { "data-table": id },
    el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { class: c.numeric ? "num" : undefined }, c.title)))),
    el(
      "tbody",
      {},
      ...rows.map((row) =>
        el(
          "tr",
          { "data-row": rowKey ? rowKey(row) : undefined },
          ...columns.map((c) => el("td", { class: c.numeric ? "num" : undefined, "data-col": c.key }, c.cell(row))),
        ),
      ),
    ),
  );
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return el("section", {}, el("h2", {}, title), ...children);
}

export function empty(text: string): HTMLElement {
  return el("p", { class: "empty" }, text);
}
