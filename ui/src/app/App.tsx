import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Route, RouterProvider, Routes, createBrowserRouter } from 'react-router';
import { ErrorPanel } from '../components/ErrorPanel';
import { Loading } from '../components/PageHeader';
import { AgentAccessPage } from '../features/agent/AgentAccessPage';
import { AccountPage } from '../features/auth/AccountPage';
import { AuthorizationServerPage } from '../features/authorization/AuthorizationServerPage';
import { ConsentPage } from '../features/authorization/ConsentPage';
import { SESSION_KEY, useSession } from '../features/auth/api';
import { LoginPage } from '../features/auth/LoginPage';
import { SetupPage } from '../features/auth/SetupPage';
import { ConnectionEditPage, NewConnectionPage } from '../features/connections/ConnectionEditPage';
import { ConnectionsPage } from '../features/connections/ConnectionsPage';
import { DeployPage } from '../features/deploy/DeployPage';
import { HistoryPage } from '../features/history/HistoryPage';
import { MetricsPage } from '../features/metrics/MetricsPage';
import { ExportImportPage } from '../features/export-import/ExportImportPage';
import { OverviewPage } from '../features/overview/OverviewPage';
import { NewPromptPage, PromptEditPage } from '../features/prompts/PromptEditPage';
import { PromptsPage } from '../features/prompts/PromptsPage';
import { ReleaseDiffPage } from '../features/releases/ReleaseDiffPage';
import { ReleasesPage } from '../features/releases/ReleasesPage';
import { NewResourcePage, ResourceEditPage } from '../features/resources/ResourceEditPage';
import { ResourcesPage } from '../features/resources/ResourcesPage';
import { ServerPage } from '../features/server/ServerPage';
import { NewToolPage, ToolEditPage } from '../features/tools/ToolEditPage';
import { ToolsPage } from '../features/tools/ToolsPage';
import { ApiError } from '../lib/api/client';
import { Layout } from './Layout';
import { NotFound } from './NotFound';

/** A 401 anywhere means the session ended (expired, logged out elsewhere): ask who we are again. */
function onError(error: unknown) {
  if (error instanceof ApiError && error.status === 401) void queryClient.invalidateQueries({ queryKey: SESSION_KEY });
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      // Client errors will not get better by retrying.
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

/** Setup, login, or the app, depending on the session; the URL is kept so deep links survive a login. */
function Gate() {
  const session = useSession();
  if (session.isLoading) return <main className="auth-screen"><Loading /></main>;
  if (session.error) return <main className="auth-screen"><ErrorPanel error={session.error} /></main>;
  const s = session.data;
  if (!s || s.state === 'anonymous') return <LoginPage />;
  if (s.state === 'setup') return <SetupPage tokenRequired={s.tokenRequired} />;
  return (
    <Routes>
      <Route element={<Layout me={s.me} />}>
        <Route index element={<OverviewPage />} />
        <Route path="connections" element={<ConnectionsPage />} />
        <Route path="connections/new" element={<NewConnectionPage />} />
        <Route path="connections/:id" element={<ConnectionEditPage />} />
        <Route path="tools" element={<ToolsPage />} />
        <Route path="tools/new" element={<NewToolPage />} />
        <Route path="tools/:id" element={<ToolEditPage />} />
        <Route path="resources" element={<ResourcesPage />} />
        <Route path="resources/new" element={<NewResourcePage />} />
        <Route path="resources/:id" element={<ResourceEditPage />} />
        <Route path="prompts" element={<PromptsPage />} />
        <Route path="prompts/new" element={<NewPromptPage />} />
        <Route path="prompts/:id" element={<PromptEditPage />} />
        <Route path="deploy" element={<DeployPage />} />
        <Route path="releases" element={<ReleasesPage />} />
        <Route path="releases/:number" element={<ReleaseDiffPage />} />
        <Route path="history" element={<HistoryPage />} />
        <Route path="metrics" element={<MetricsPage />} />
        <Route path="export-import" element={<ExportImportPage />} />
        <Route path="server" element={<ServerPage />} />
        <Route path="agent-access" element={<AgentAccessPage />} />
        <Route path="authorization-server" element={<AuthorizationServerPage />} />
        <Route path="account" element={<AccountPage me={s.me} />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

// A data router, so forms can block leaving with unsaved edits (useBlocker); the routes stay declared in <Gate>.
// The consent page is the start of a sign-in: it needs no session.
const router = createBrowserRouter([
  { path: '/oauth/consent', element: <ConsentPage /> },
  { path: '*', element: <Gate /> },
]);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
