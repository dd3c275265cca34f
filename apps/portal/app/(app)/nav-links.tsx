'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { NavItem } from '../_shared/navigation';

export function NavLinks({ items }: { items: NavItem[] }) {
  const pathname = usePathname();
  return (
    <ul className="nav">
      {items.map((item) => (
        <li key={item.href}>
          {item.document ? (
            <a href={item.href}>{item.label}</a>
          ) : (
            // A dashboard's learners list is a page of that dashboard: its item stays marked there.
            <Link href={item.href} aria-current={pathname === item.href ? 'page' : pathname.startsWith(`${item.href}/`) ? 'true' : undefined}>
              {item.label}
            </Link>
          )}
        </li>
      ))}
    </ul>
  );
}
