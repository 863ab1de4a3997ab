import { NavLink, Outlet } from 'react-router';
import { useLogout, type Me } from '../features/auth/api';
import { UndeployedBanner } from '../features/deploy/UndeployedBanner';

const NAV = [
  { to: '/', label: 'Overview', end: true },
  { to: '/connections', label: 'Connections' },
  { to: '/tools', label: 'Tools' },
  { to: '/resources', label: 'Resources' },
  { to: '/prompts', label: 'Prompts' },
  { to: '/deploy', label: 'Deploy' },
  { to: '/releases', label: 'Releases' },
  { to: '/metrics', label: 'Metrics' },
  { to: '/history', label: 'History' },
  { to: '/export-import', label: 'Export / import' },
  { to: '/server', label: 'Server' },
  { to: '/agent-access', label: 'Agent access' },
  { to: '/authorization-server', label: 'Authorization server' },
];

/** The signed-in shell: side navigation and the page. */
export function Layout({ me }: { me: Me }) {
  const logout = useLogout();
  return (
    <div className="shell">
      <a href="#main" className="skip-link">Skip to content</a>
      <aside className="sidebar">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Quarry</span>
        </div>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <NavLink key={n.to} to={n.to} end={n.end} className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`}>
              {n.label}
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-foot">
          <NavLink to="/account" className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`}>
            {me.username}
          </NavLink>
          <a className="nav-link" href="/api/docs">API docs</a>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => logout.mutate()} disabled={logout.isPending}>
            Log out
          </button>
        </div>
      </aside>
      <main id="main" className="content">
        <UndeployedBanner />
        <Outlet />
      </main>
    </div>
  );
}
