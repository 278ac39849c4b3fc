import { useEffect, useRef, useState } from 'react';

export interface MenuItem {
  label: string;
  shortcut?: string;
  disabled?: boolean;
  run?: () => void;
  submenu?: MenuItem[];
  testId?: string;
}

export interface Menu { label: string; items: MenuItem[] }

/** The in-page menu bar of browser mode; Electron shows the same commands as a native menu. */
export function MenuBar({ menus }: { menus: Menu[] }) {
  const [open, setOpen] = useState<string | null>(null);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    const close = (e: MouseEvent): void => { if (!ref.current?.contains(e.target as Node)) setOpen(null); };
    window.addEventListener('mousedown', close);
    return () => window.removeEventListener('mousedown', close);
  }, []);
  const renderItems = (items: MenuItem[]) => (
    <ul className="menu-items" role="menu">
      {items.map((item) => (
        <li key={item.label} className={item.submenu ? 'has-submenu' : ''}>
          <button role="menuitem" disabled={item.disabled || (!item.run && !item.submenu?.length)} data-testid={item.testId}
            onClick={() => { if (item.run) { setOpen(null); item.run(); } }}>
            <span>{item.label}</span>
            {item.shortcut && <kbd>{item.shortcut}</kbd>}
            {item.submenu && <span className="chevron">▸</span>}
          </button>
          {item.submenu && item.submenu.length > 0 && renderItems(item.submenu)}
        </li>
      ))}
    </ul>
  );
  return (
    <nav className="menubar" ref={ref}>
      <span className="brand">Headroom</span>
      {menus.map((menu) => (
        <div key={menu.label} className={`menu${open === menu.label ? ' open' : ''}`}>
          <button className="menu-title" data-testid={`menu-${menu.label.toLowerCase()}`}
            onClick={() => setOpen(open === menu.label ? null : menu.label)}
            onMouseEnter={() => { if (open) setOpen(menu.label); }}>
            {menu.label}
          </button>
          {open === menu.label && renderItems(menu.items)}
        </div>
      ))}
    </nav>
  );
}
