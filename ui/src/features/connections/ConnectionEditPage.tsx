import { EditEntityPage, NewEntityPage } from '../../components/EntityEdit';
import { connections } from './api';
import { ConnectionForm } from './ConnectionForm';
import { TestButton } from './TestButton';

export function NewConnectionPage() {
  return <NewEntityPage title="New connection" listPath="/connections" listTitle="Connections"><ConnectionForm /></NewEntityPage>;
}

export function ConnectionEditPage() {
  return <EditEntityPage what="Connection" listPath="/connections" listTitle="Connections" useOne={connections.useOne}
    actions={(c) => <TestButton id={c.id} />} form={(c, reload) => <ConnectionForm connection={c} onReload={reload} />} />;
}
