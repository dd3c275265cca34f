'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useId, useState } from 'react';
import type { NavItem } from '../_shared/navigation';

/**
 * The main navigation. On a phone it folds behind a "Menu" button naming the page one is on, as
 * the filters fold behind theirs: nine links wrapped over four lines pushed a dashboard's figures
 * below the first screen.
 */
export function NavLinks({ items }: { items: NavItem[] }) {
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const listId = useId();
  const under = (item: NavItem) => pathname.startsWith(`${item.href}/`);
  const here = items.find((item) => pathname === item.href || under(item));
  return (
    <div className="nav-panel" data-open={open}>
      <button type="button" className="button nav-toggle" aria-expanded={open} aria-controls={listId} onClick={() => setOpen(!open)}>
        {here ? `Menu · ${here.label}` : 'Menu'}
      </button>
      <ul className="nav" id={listId}>
        {items.map((item) => (
          <li key={item.href}>
            {item.document ? (
              <a href={item.href}>{item.label}</a>
            ) : (
              // A dashboard's learners list is a page of that dashboard: its item stays marked there.
              // A link followed folds the menu again, so the page it opens comes first.
              <Link href={item.href} aria-current={pathname === item.href ? 'page' : under(item) ? 'true' : undefined} onClick={() => setOpen(false)}>
                {item.label}
              </Link>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
